"""Error patterns and fixes: log lines become templates, templates become patterns, fixes and their outcomes
become confidence."""
