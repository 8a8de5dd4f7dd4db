"""When subscribers are due, and the delivery pass that pushes their topics."""
