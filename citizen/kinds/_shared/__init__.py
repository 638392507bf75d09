"""Helpers several kinds share: per-field agreement (agreement, normalise, fields) and marks on an image
or a map (marks). Pure functions, no request and no database, like the kinds themselves."""
