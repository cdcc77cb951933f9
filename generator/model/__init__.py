"""The Deep-MNIST CNN: pure architecture arithmetic (``architecture``) and the Keras builder (``cnn``)."""
