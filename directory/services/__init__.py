"""Write operations (services): curation, submissions, credentials, roles."""
