"""Users, organisations and roles, guest contributors, API tokens."""
