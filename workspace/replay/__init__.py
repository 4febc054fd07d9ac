"""Trainer replay: scenario files played in the real workspace, and scored (specs/scenario.md)."""
