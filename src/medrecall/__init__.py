"""MedRecall."""
