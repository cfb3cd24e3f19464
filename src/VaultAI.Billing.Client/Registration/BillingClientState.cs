namespace VaultAI.Billing.Client;

/// <summary>Where the client stands with the billing host's credentials.</summary>
public enum BillingClientState
{
    /// <summary>Not known yet: nothing was attempted since start.</summary>
    Unknown = 0,

    /// <summary>No token is stored; the client will register on its next call.</summary>
    Unregistered,

    /// <summary>A token is stored and was last accepted (or not yet refused).</summary>
    Registered,

    /// <summary>The host knows the organization but this instance has no token for it: an administrator must reset the token.</summary>
    TokenLost,

    /// <summary>The host refused the stored token (401): reports stay in the spool until the token is fixed.</summary>
    TokenInvalid,
}
