"""What one message is: parsed, classified, its source, interest, person and new text. Pure."""
