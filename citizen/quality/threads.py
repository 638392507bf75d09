"""Native thread pools (OpenMP, BLAS) kept to one thread while results are computed task by task.

The spatial consensus (citizen.quality.spatial) runs scikit-learn on a handful of points per task, where starting a
pool costs ten times the work itself (30 ms instead of 3 ms a task with marks). The tally (one answer) and the
export rows (a batch of results) both compute under `one_thread()`."""
_controller = None


def one_thread():
    """A context manager: native thread pools limited to one thread inside it."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController
        import sklearn.neighbors  # noqa: F401  (loads the OpenMP runtime the controller must see)
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
