"""The classic XOR multilayer perceptron (reference 003)."""
