"""The request ids of RPC calls (partanum.rpc_requests): a call made outside any
request gets a new one; a worker serving a request gives its calls ids derived from
that request's, the same each time it runs, so that a request run again (its first
run changed nothing) makes the same calls under the same ids."""

from partanum.rpc_requests import id_for_call


class Worker:
    """What id_for_call reads of a nameko worker context."""

    def __init__(self, **context_data):
        self.context_data = context_data


def test_calls_made_outside_any_request_are_each_a_request_of_their_own():
    tool = Worker(actor="staff:1")
    assert id_for_call(tool, "booking.reserve") != id_for_call(tool, "booking.reserve")


def test_a_request_run_again_makes_its_calls_under_the_same_ids():
    calls = ["booking.contact_details", "booking.reserve", "booking.reserve"]
    first, again = Worker(request_id="r-1"), Worker(request_id="r-1")

    ids = [id_for_call(first, call) for call in calls]

    assert ids == [id_for_call(again, call) for call in calls]
    assert len(set(ids)) == len(calls)  # never the request's own, nor each other's
    assert "r-1" not in ids
    assert id_for_call(Worker(request_id="r-2"), calls[0]) != ids[0]
