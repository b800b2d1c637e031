namespace Autodiff.NN.Optim;

/// <summary>
/// Sets an optimiser's learning rate by epoch (like <c>torch.optim.lr_scheduler</c>): call <see cref="Step"/> once
/// at the end of each epoch, after the optimiser's steps.
/// </summary>
/// <remarks>
/// The base learning rate is the optimiser's at construction (epoch 0). The rates come from each schedule's closed
/// form, so they equal PyTorch's as long as nothing else changes the learning rate meanwhile.
/// </remarks>
public abstract class LRScheduler
{
    /// <summary>Takes over the learning rate of <paramref name="optimizer"/>, starting at epoch 0.</summary>
    /// <param name="optimizer">The optimiser whose learning rate to set.</param>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>The optimiser whose learning rate is set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0.</summary>
    public double BaseLearningRate { get; }

    /// <summary>The number of completed epochs, i.e. of calls to <see cref="Step"/> (PyTorch's <c>last_epoch</c>).</summary>
    public int Epoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimiser's learning rate for it.</summary>
    public void Step()
    {
        Epoch++;
        Optimizer.LearningRate = LearningRateAt(Epoch);
    }

    /// <summary>The learning rate of the schedule at <paramref name="epoch"/>.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    public abstract double LearningRateAt(int epoch);
}
