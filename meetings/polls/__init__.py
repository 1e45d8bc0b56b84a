"""Polls and secret ballots inside the live room; votes never traceable to a voter."""
