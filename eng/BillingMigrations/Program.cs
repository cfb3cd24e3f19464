// Nothing runs here: this project exists only as the startup project for `dotnet ef` (see README.md).
return 0;
