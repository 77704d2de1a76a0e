// Test classes run in parallel (one server per class); tests inside a class run in order.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]
