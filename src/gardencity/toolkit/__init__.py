"""The measure toolkit: geometry and result helpers shared by the measures and their users."""
