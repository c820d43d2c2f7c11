"""Offline ML pipeline for the Personalization engine: train, evaluate and export
sequence models that follow the model contract in shared/DESIGN.md."""
