import pytest

# The shared helpers of tests/helpers/ assert too: have pytest rewrite their asserts, as it does
# the test modules' and conftest.py's, so that a failure in one shows the values it compared.
pytest.register_assert_rewrite("tests.helpers")
