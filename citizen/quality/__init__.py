"""Data quality, as plain computation over arrays and dicts (no database, no request): consensus, caps, gold and
reliability (controls), groups of accounts (clusters), the batch models (aggregate, choose, pipeline), influence
limits, spatial consensus. What reads a campaign's answers to run them is citizen.campaigns.batch, and the job that
builds a campaign's results is citizen.campaigns.builds."""
