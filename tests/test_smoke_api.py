"""The volunteer loop over the API, end to end, on the test client."""
import uuid


def test_guest_answers_three_tasks(client, make_campaign, guest):
    c = make_campaign(tasks=5)
    h = guest()
    done = []
    for _ in range(3):
        r = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=h)
        assert r.status_code == 200
        task = r.get_json()
        assert task["kind"] == "question" and task["options"] == ["yes", "no", "unsure"]
        r = client.post(f"/api/v1/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 1200},
                        headers={**h, "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.get_json()
        done.append(r.get_json()["done"])
    assert done == [1, 2, 3]
