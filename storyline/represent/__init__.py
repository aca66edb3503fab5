"""Article representations for clustering: lexical TF-IDF (incremental DF), entities, dense embeddings.

``lexical`` and ``entities`` never import torch; ``dense`` loads the model only when first used.
"""
