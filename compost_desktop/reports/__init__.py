"""The printed record: the cycle report laid out, paginated and written as PDF."""
