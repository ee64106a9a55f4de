"""Accounts: which AWS account a request acts for, and the rules that keep accounts apart."""
