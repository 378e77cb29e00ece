"""Views of the result model: each module renders a SubmissionResult one way and decides nothing."""
