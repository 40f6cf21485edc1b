"""Analyses of a trained model: carry correlation and probe, hidden states, one step explained,
length generalisation and backpropagation through time, all read from traces."""
