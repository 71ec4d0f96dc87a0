"""Helpers shared by the test modules, which import them from here and never from each other."""
