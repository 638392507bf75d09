"""Campaigns, tasks and answers: the volunteer loop."""
