"""The write side: what a committed content change sets off (see ``changes``)."""
