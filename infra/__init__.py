"""Cross-cutting pieces of the web service (health check, request log, body limit, CSP, the JSON
error shape); this package imports no app of the project."""
