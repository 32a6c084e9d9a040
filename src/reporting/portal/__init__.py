"""The web portal: submitters, reviewers, signers and operators sign in from the people directory and
work through the same library as the command line (`reporting portal serve`)."""
