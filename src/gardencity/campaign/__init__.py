"""Run the campaign: organisation, cases and their workflow, flags, targets."""
