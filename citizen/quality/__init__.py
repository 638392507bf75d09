"""Data quality: consensus now; scheduling rules, caps, gold and reliability later."""


def init_app(app):
    """Plug quality in (called by create_app): the job that builds a campaign's batch consensus."""
    from citizen.jobs import services as jobs
    from citizen.quality import builds
    jobs.register(builds.JOB, builds.build_job)
