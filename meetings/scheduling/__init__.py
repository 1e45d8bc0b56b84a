"""Scheduling: meetings and series, passcodes, the meeting policy, invitations, calendar files."""
