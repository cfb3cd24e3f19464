// The fault tests start and kill host processes, a PostgreSQL cluster and slow Stripe down on purpose; run them one at a
// time so each one's timing is its own (the machine has 2 cores) and a kill never lands in another test's host.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
