"""Shared fixtures for the unit tests."""
import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """Tiny tensors: one thread avoids OpenMP hand-off costs on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
