"""The cycle collector around long batch work: paused, or the older objects set aside, and
as it was once the block ends, even when it raises."""

import gc

import pytest

from shop import collector


def test_paused_stops_the_collector_for_the_block_only():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("refused")
    assert gc.isenabled()


def test_the_older_objects_are_set_aside_for_the_block_only():
    older = [{"entry": n} for n in range(1000)]
    assert gc.get_freeze_count() == 0
    with collector.older_objects_set_aside():
        assert gc.get_freeze_count() >= len(older)
        assert gc.isenabled()  # what the block makes is still collected
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), collector.older_objects_set_aside():
        raise RuntimeError("refused")
    assert gc.get_freeze_count() == 0
