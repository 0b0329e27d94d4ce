from index import handler


def created(key, size):
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "resources": ["arn:aws:s3:::files"],
        "detail": {"bucket": {"name": "files"}, "object": {"key": key, "size": size}, "reason": "PutObject"},
    }


def test_reads_the_bucket_the_key_and_the_size():
    assert handler(created("public/a b.jpg", 5), None) == {
        "bucket": "files",
        "key": "public/a b.jpg",
        "event": "Object Created",
        "size": 5,
    }
