"""Per-rule cases (tests/rules/cases/<CODE>.yaml) and checks of the rule catalogue itself."""
