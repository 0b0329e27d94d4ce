from index import handler


def test_reads_the_time_and_the_rule_of_the_run():
    event = {
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2026-01-01T12:00:00Z",
        "resources": ["arn:aws:events:us-east-1:111122223333:rule/nightly"],
        "detail": {},
    }
    assert handler(event, None) == {
        "scheduledAt": "2026-01-01T12:00:00Z",
        "rule": "arn:aws:events:us-east-1:111122223333:rule/nightly",
    }
