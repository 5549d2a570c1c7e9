"""Rule families, one module each: quality (S), registration (R), changes (C), aid (A),
publicity (P). A rule is declared beside its function with `registry.rule` (id, severity,
titles, clause, needs and its documentation); `registry.load_rule_modules` imports them all."""
