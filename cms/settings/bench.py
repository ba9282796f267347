"""`make bench` only (bench/run.py): the production settings, plus /_bench/minimal/, a view that does
nothing, to measure the framework's ceiling with the whole middleware stack. Never deployed."""

from .production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
