"""House habit 12: a numpydoc parameter check over the public API.

The public API is every function and class named in ``__all__`` of ``fairshare``
and of every public package or module under it (public: no component of the
dotted path starts with ``_``). Each such callable must have a docstring
(GL08) whose ``Parameters`` section names exactly the parameters of its
signature: none missing (PR01), none that does not exist (PR02). For a class
the signature is its constructor's (``__init__`` or the dataclass fields) and
the section is in the class docstring. ``self`` and ``cls`` are left out and
``*args`` / ``**kwargs`` are documented with their stars, as numpydoc does;
keyword-only and underscore-prefixed parameters count like any other.
"""

import pytest
from numpydoc.docscrape import get_doc_object
from numpydoc.validate import validate

from tests.public_api import public_callables

CHECKED = ("PR01", "PR02", "GL08")

# A floor on the number of callables checked, so the test cannot pass by finding nothing.
MIN_CALLABLES = 100


def parameter_errors(obj):
    """The PR01, PR02 and GL08 errors numpydoc reports for ``obj``, as ``(code, message)`` pairs."""
    report = validate(get_doc_object(obj))
    return [(code, message) for code, message in report["errors"] if code in CHECKED]


@pytest.fixture(scope="module")
def callables():
    return public_callables()


def test_checks_a_realistic_number_of_callables(callables):
    assert len(callables) > MIN_CALLABLES, (
        f"only {len(callables)} public callables found; the walk over fairshare's __all__ lists is broken")


def test_public_callables_document_their_parameters(callables):
    offenders = []
    for name, obj in callables:
        for code, message in parameter_errors(obj):
            offenders.append(f"{name}: {code} {message}")
    assert not offenders, (
        f"{len(offenders)} numpydoc error(s) in {len(callables)} public callables:\n" + "\n".join(offenders))
