// Placeholder until the desktop core issue: keeps the workspace typecheckable.
export {};
