"""Recurrent cells: vanilla RNN, LSTM and GRU, each a forward that returns a trace and a hand-written BPTT."""
