"""Biennial programme implementation report: from country submissions to the Word report."""
