from index import handler


def record(name, id):
    return {"eventName": name, "eventSource": "aws:dynamodb", "dynamodb": {"Keys": {"id": {"S": id}}}}


def test_counts_the_batchs_changes_by_kind():
    event = {"Records": [record("INSERT", "a"), record("INSERT", "b"), record("REMOVE", "a")]}
    assert handler(event, None) == {"INSERT": 2, "MODIFY": 0, "REMOVE": 1}
