"""A real botocore client answered by botocore's Stubber: for unit tests of the reader and
preflight layers, which must see the AWS answers they parse without any HTTP."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.stub import Stubber

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def stubbed_client(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A ``service`` client in us-east-1 and its Stubber; every answer queued must be used."""
    client = botocore.session.get_session().create_client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
