"""Conditional GANs: a class-conditioned batch normalisation, a training step written once with
``keras.ops`` for TensorFlow and JAX, sampling, and the Fréchet distance between feature sets.

The architectures stay in the chapters. What lives here is what any conditional GAN needs:

- :class:`ConditionalBatchNormalization`: batch normalisation whose scale and shift are looked up
  from the class label (de Vries et al., 2017; Dumoulin et al., 2017).
- :class:`ConditionalGAN`: trains a generator ``G([noise, labels]) -> images`` against a
  discriminator ``D([images, labels]) -> logit``, optionally with a frozen classifier
  ``C(images) -> class logits`` whose cross-entropy on the generated images is added to the
  generator's loss. The losses are written once, as functions of the variables' values
  (``stateless_call``); what differs by backend is how gradients are taken (:func:`value_and_grad`:
  ``jax.value_and_grad`` or ``tf.GradientTape``) and how they are applied (JAX:
  ``optimizer.stateless_apply`` returns new values; TensorFlow, whose optimizers have no stateless
  form: ``optimizer.apply`` updates the variables in place). The step is compiled with ``jax.jit``
  or ``tf.function``.
- :func:`generate` and :func:`generate_per_class`: samples in inference mode, from seeded noise.
- :func:`frechet_distance`: the Fréchet distance between two sets of feature vectors, each taken as
  a Gaussian (the FID of Heusel et al., 2017, when the features are Inception's).
"""

from __future__ import annotations

import sys
import time
import warnings

import keras
import numpy as np
from keras import layers, ops

from shared.checkpoint import Part
from shared.training import Run


@keras.saving.register_keras_serializable(package="book")
class ConditionalBatchNormalization(layers.Layer):
    """Batch normalisation with a per-class scale and shift: ``[x, labels] -> y``.

    ``x`` is normalised over every axis but the last (moving statistics as in
    ``keras.layers.BatchNormalization``, shared by all classes); then
    ``y = gamma[label] * x_hat + beta[label]``, with ``gamma`` starting at ones and ``beta`` at
    zeros, one row per class. ``labels`` are integers of shape ``(batch,)`` or ``(batch, 1)``.
    """

    def __init__(self, num_classes: int, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be at least 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.momentum = momentum
        self.epsilon = epsilon
        self.norm = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False,
                                              scale=False)

    def build(self, input_shape):
        x_shape, _ = input_shape
        channels = x_shape[-1]
        self.norm.build(x_shape)
        self.gamma = self.add_weight(shape=(self.num_classes, channels), initializer="ones",
                                     name="gamma")
        self.beta = self.add_weight(shape=(self.num_classes, channels), initializer="zeros",
                                    name="beta")

    def call(self, inputs, training=None):
        x, labels = inputs
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        x_hat = self.norm(x, training=training)
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gamma = ops.reshape(ops.take(self.gamma, labels, axis=0), shape)
        beta = ops.reshape(ops.take(self.beta, labels, axis=0), shape)
        return gamma * x_hat + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "momentum": self.momentum, "epsilon": self.epsilon}


def value_and_grad(fn):
    """``fn(params, *args) -> (loss, aux)`` becomes ``f(params, *args) -> ((loss, aux), grads)``,
    the gradient taken with respect to ``params`` (a list of tensors) only.

    The one backend-specific piece of the training step: ``jax.value_and_grad`` under JAX, a
    ``tf.GradientTape`` watching ``params`` under TensorFlow.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.value_and_grad(fn, has_aux=True)
    if backend == "tensorflow":
        import tensorflow as tf

        def wrapped(params, *args):
            with tf.GradientTape() as tape:
                tape.watch(params)
                loss, aux = fn(params, *args)
            return (loss, aux), tape.gradient(loss, params)

        return wrapped
    raise NotImplementedError(f"ConditionalGAN's training step supports the jax and tensorflow "
                              f"backends, not {backend!r}")


def _compile(fn):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    import tensorflow as tf

    return tf.function(fn, reduce_retracing=True)


def _values(variables):
    return [v.value for v in variables]


METRICS = ("d_loss", "g_loss", "g_adv", "g_class", "d_real_acc", "d_fake_acc")


class ConditionalGAN:
    """Trains a conditional generator against a discriminator, with an optional frozen classifier.

    Per step, on a batch of real images ``x`` with labels ``y`` and fresh noise ``z`` with labels
    ``y'`` drawn from the training labels (so the generated classes follow the training set's class
    frequencies, as the real batches do):

    - the generator's loss is ``BCE(D(G(z, y'), y'), real) + class_weight * CE(C(G(z, y')), y')``
      (the second term only with a classifier; ``C`` runs in inference mode and is not trained);
    - the discriminator's loss is ``BCE(D(x, y), real) + BCE(D(G(z, y'), y'), fake)``;
    - both networks step from the same forward pass, each with its own optimizer (simultaneous
      updates, as in the TensorFlow DCGAN tutorial).

    ``fit`` prints one line per epoch and returns a :class:`shared.training.Run` whose history holds
    the epoch means of :data:`METRICS` (``d_real_acc``/``d_fake_acc``: the share of real/generated
    images the discriminator calls real/generated).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, *, noise_dim: int,
                 num_classes: int = 10, classifier: keras.Model | None = None,
                 class_weight: float = 1.0, g_optimizer=None, d_optimizer=None):
        self.generator, self.discriminator, self.classifier = generator, discriminator, classifier
        self.noise_dim, self.num_classes = int(noise_dim), int(num_classes)
        self.class_weight = float(class_weight)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer.build(generator.trainable_variables)
        self.d_optimizer.build(discriminator.trainable_variables)
        self._stateless = keras.backend.backend() == "jax"
        self._step = _compile(self._train_step)

    # -- the training step: a pure function of the variables' values ------------------------------
    def _train_step(self, state, real, labels, noise, fake_labels):
        if state is None:  # TensorFlow: read the variables inside the compiled step
            state = self._state()
        g_tr, g_nt, d_tr, d_nt, g_opt, d_opt, c_vars = state
        G, D, C = self.generator, self.discriminator, self.classifier

        def generator_loss(g_tr, g_nt, d_nt):
            fake, g_nt = G.stateless_call(g_tr, g_nt, [noise, fake_labels], training=True)
            logits, d_nt = D.stateless_call(d_tr, d_nt, [fake, fake_labels], training=True)
            adv = ops.mean(ops.binary_crossentropy(ops.ones_like(logits), logits, from_logits=True))
            cls = ops.zeros_like(adv)
            if C is not None:
                c_tr, c_nt = c_vars
                class_logits, _ = C.stateless_call(c_tr, c_nt, fake, training=False)
                cls = ops.mean(ops.sparse_categorical_crossentropy(fake_labels, class_logits,
                                                                   from_logits=True))
            return adv + self.class_weight * cls, (fake, g_nt, d_nt, adv, cls)

        def discriminator_loss(d_tr, d_nt, fake):
            real_logits, d_nt = D.stateless_call(d_tr, d_nt, [real, labels], training=True)
            fake_logits, d_nt = D.stateless_call(d_tr, d_nt, [fake, fake_labels], training=True)
            loss = (ops.mean(ops.binary_crossentropy(ops.ones_like(real_logits), real_logits,
                                                     from_logits=True))
                    + ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                                       from_logits=True)))
            return loss, (d_nt, real_logits, fake_logits)

        (g_loss, (fake, g_nt, d_nt, adv, cls)), g_grads = value_and_grad(generator_loss)(
            g_tr, g_nt, d_nt)
        (d_loss, (d_nt, real_logits, fake_logits)), d_grads = value_and_grad(discriminator_loss)(
            d_tr, d_nt, ops.stop_gradient(fake))
        metrics = [d_loss, g_loss, adv, cls,
                   ops.mean(ops.cast(real_logits > 0, "float32")),
                   ops.mean(ops.cast(fake_logits < 0, "float32"))]
        if self._stateless:  # JAX: new values out, nothing assigned inside the compiled step
            g_tr, g_opt = self.g_optimizer.stateless_apply(g_opt, g_grads, g_tr)
            d_tr, d_opt = self.d_optimizer.stateless_apply(d_opt, d_grads, d_tr)
            return (g_tr, g_nt, d_tr, d_nt, g_opt, d_opt, c_vars), metrics
        # TensorFlow's optimizers have no stateless_apply: they update the variables in place
        self.g_optimizer.apply(g_grads, G.trainable_variables)
        self.d_optimizer.apply(d_grads, D.trainable_variables)
        for variables, values in ((G.non_trainable_variables, g_nt),
                                  (D.non_trainable_variables, d_nt)):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)
        return None, metrics

    def _state(self):
        G, D, C = self.generator, self.discriminator, self.classifier
        c_vars = ((_values(C.trainable_variables), _values(C.non_trainable_variables))
                  if C is not None else ([], []))
        return (_values(G.trainable_variables), _values(G.non_trainable_variables),
                _values(D.trainable_variables), _values(D.non_trainable_variables),
                _values(self.g_optimizer.variables), _values(self.d_optimizer.variables), c_vars)

    def _write_back(self, state):
        if state is None:  # TensorFlow: the variables were updated in place
            return
        g_tr, g_nt, d_tr, d_nt, g_opt, d_opt, _ = state
        pairs = [(self.generator.trainable_variables, g_tr),
                 (self.generator.non_trainable_variables, g_nt),
                 (self.discriminator.trainable_variables, d_tr),
                 (self.discriminator.non_trainable_variables, d_nt),
                 (self.g_optimizer.variables, g_opt), (self.d_optimizer.variables, d_opt)]
        for variables, values in pairs:
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    # -- cost -------------------------------------------------------------------------------------
    def step_cost(self, x, y, *, batch_size: int, steps: int = 5, warmup: int = 2,
                  seed: int = 0) -> float:
        """Seconds per training step at ``batch_size`` on this machine: ``warmup`` steps (tracing),
        then ``steps`` timed ones, on batches drawn from ``(x, y)``. The steps train the networks:
        time a throwaway GAN, not one whose results count."""
        if steps < 1 or warmup < 0 or not 0 < batch_size <= len(x):
            raise ValueError("step_cost needs steps >= 1, warmup >= 0 and 1 <= batch_size <= len(x)")
        x = np.asarray(x, dtype="float32")
        y = np.asarray(y).astype("int32").reshape(-1)
        rng = np.random.default_rng(seed)
        state = self._state() if self._stateless else None
        start = None
        for s in range(warmup + steps):
            if s == warmup:
                start = time.perf_counter()
            idx = rng.choice(len(x), batch_size, replace=False)
            noise = rng.standard_normal((batch_size, self.noise_dim), dtype=np.float32)
            state, metrics = self._step(state, x[idx], y[idx], noise,
                                        y[rng.integers(0, len(y), batch_size)])
            [float(m) for m in metrics]  # wait for the step to finish
        seconds = (time.perf_counter() - start) / steps
        self._write_back(state)
        return seconds

    # -- the loop ---------------------------------------------------------------------------------
    def fit(self, x, y, *, epochs: int, batch_size: int, seed: int = 0, log: bool = True,
            log_every: int = 1, label: str = "", stream=None, part: Part | None = None) -> Run:
        """Train for ``epochs`` passes over ``(x, y)`` in shuffled batches of ``batch_size``.

        ``x`` holds images in the generator's output range, ``y`` integer labels. The last partial
        batch of each epoch is dropped (one compiled step shape); shuffling differs every epoch, so
        every image is used. Noise and fake labels come from ``numpy.random.default_rng(seed)``;
        the fake labels are drawn from ``y`` (with replacement), so their class frequencies are the
        training set's.
        With ``log``, one line every ``log_every`` epochs (and after the last).

        With ``part`` (:class:`shared.checkpoint.Part`, a run trained in parts), training goes on
        from the part's checkpoint where there is one (every variable, optimiser slot, the noise
        generator's state and the history are restored, so the result is the uninterrupted run's),
        saves one at least every ``part.every_s`` seconds, and before an epoch that would pass the
        part's deadline saves and raises :class:`shared.checkpoint.Paused`. The returned
        ``wall_time`` then counts the earlier parts' training too.
        """
        x = np.asarray(x, dtype="float32")
        y = np.asarray(y).astype("int32").reshape(-1)
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} images but y has {len(y)} labels")
        if not 0 < batch_size <= len(x):
            raise ValueError(f"batch_size must be between 1 and the {len(x)} training images, "
                             f"got {batch_size}")
        if y.min() < 0 or y.max() >= self.num_classes:
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}, "
                             f"got {y.min()}..{y.max()}")
        rng = np.random.default_rng(seed)
        steps = len(x) // batch_size
        history = {k: [] for k in METRICS}
        stream = stream or sys.stdout
        first, before = 0, 0.0
        which = {"epochs": epochs, "images": len(x), "batch_size": batch_size, "seed": seed}
        saved = part.load("gan") if part is not None else None
        if saved is not None:
            arrays, st = saved
            if st["run"] != which:
                raise ValueError(f"{label or 'GAN'}: the checkpoint in {part.folder} is of "
                                 f"another run ({st['run']}, not {which}): remove it")
            self._restore(arrays)
            rng.bit_generator.state = st["rng"]
            history, first, before = st["history"], int(st["epoch"]), float(st["wall_s"])
            stream.write(f"resumed at epoch {first + 1}/{epochs} from {part.folder}\n")
        state = self._state() if self._stateless else None
        start = time.perf_counter()
        for epoch in range(first, epochs):
            t = time.perf_counter()
            order = rng.permutation(len(x))
            sums = np.zeros(len(METRICS))
            for s in range(steps):
                idx = order[s * batch_size:(s + 1) * batch_size]
                noise = rng.standard_normal((batch_size, self.noise_dim), dtype=np.float32)
                fake_labels = y[rng.integers(0, len(y), batch_size)]
                state, metrics = self._step(state, x[idx], y[idx], noise, fake_labels)
                sums += np.array([float(m) for m in metrics])
            for k, v in zip(METRICS, sums / steps, strict=True):
                history[k].append(float(v))
            if not np.isfinite(sums).all():
                self._write_back(state)
                raise FloatingPointError(f"{label or 'GAN'}: non-finite loss in epoch {epoch + 1}")
            if log and ((epoch + 1) % log_every == 0 or epoch + 1 == epochs):
                w = len(str(epochs))
                stream.write(f"ep {epoch + 1:>{w}}/{epochs}  d_loss {history['d_loss'][-1]:.4f}  "
                             f"g_adv {history['g_adv'][-1]:.4f}  g_class {history['g_class'][-1]:.4f}"
                             f"  D right on real {history['d_real_acc'][-1]:.0%}, on fake "
                             f"{history['d_fake_acc'][-1]:.0%}  {time.perf_counter() - t:.1f} s\n")
                stream.flush()
            if part is not None and epoch + 1 < epochs:
                late = part.out_of_time(time.perf_counter() - t)
                if late or part.due():
                    part.save("gan", self._arrays(state),
                              {"run": which, "epoch": epoch + 1, "rng": rng.bit_generator.state,
                               "history": history,
                               "wall_s": before + time.perf_counter() - start},
                              done=(epoch + 1) / epochs)
                if late:
                    raise part.pause(f"epoch {epoch + 1} of {epochs}")
        self._write_back(state)
        return Run(history=history, wall_time=before + time.perf_counter() - start, label=label)

    # -- checkpoints (a run in parts) -------------------------------------------------------------
    def _groups(self):
        G, D = self.generator, self.discriminator
        return {"g_tr": G.trainable_variables, "g_nt": G.non_trainable_variables,
                "d_tr": D.trainable_variables, "d_nt": D.non_trainable_variables,
                "g_opt": self.g_optimizer.variables, "d_opt": self.d_optimizer.variables}

    def _arrays(self, state):
        """Every variable the training changes, as NumPy arrays named ``<group>.<index>``."""
        self._write_back(state)  # JAX: the step's values into the variables (TensorFlow: there)
        return {f"{group}.{i}": np.asarray(ops.convert_to_numpy(v.value))
                for group, variables in self._groups().items()
                for i, v in enumerate(variables)}

    def _restore(self, arrays):
        for group, variables in self._groups().items():
            saved = sorted((k for k in arrays if k.rsplit(".", 1)[0] == group),
                           key=lambda k: int(k.rsplit(".", 1)[1]))
            if len(saved) != len(variables):
                raise ValueError(f"checkpoint: {len(saved)} arrays for {group}, the networks have "
                                 f"{len(variables)} variables there")
            for k, variable in zip(saved, variables, strict=True):
                if tuple(arrays[k].shape) != tuple(variable.shape):
                    raise ValueError(f"checkpoint: {k} has shape {arrays[k].shape}, the variable "
                                     f"{variable.path} {tuple(variable.shape)}")
                variable.assign(arrays[k])

def generate(generator: keras.Model, labels, noise_dim: int, seed: int = 0,
             batch_size: int = 1000) -> np.ndarray:
    """One image per entry of ``labels`` from ``generator([noise, labels])``, in inference mode,
    with noise from ``numpy.random.default_rng(seed)``."""
    labels = np.asarray(labels).astype("int32").reshape(-1)
    noise = np.random.default_rng(seed).standard_normal((len(labels), noise_dim), dtype=np.float32)
    out = [keras.ops.convert_to_numpy(generator([noise[i:i + batch_size],
                                                 labels[i:i + batch_size]], training=False))
           for i in range(0, len(labels), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, *generator.output_shape[1:]), "float32")


def generate_per_class(generator: keras.Model, per_class: int, noise_dim: int,
                       num_classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` images of every class, classes in order: ``(images, labels)``, the images in
    the generator's range, from :func:`generate`."""
    if per_class < 0:
        raise ValueError(f"per_class must be >= 0, got {per_class}")
    labels = np.repeat(np.arange(num_classes), per_class).astype("int32")
    return generate(generator, labels, noise_dim, seed=seed), labels


#: the largest imaginary part of the matrix square root that :func:`frechet_distance` drops silently
IMAGINARY_TOLERANCE = 1e-3


def frechet_distance(a, b) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a`` and ``b`` (rows = samples):
    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    The square root of ``S_a S_b`` is real in exact arithmetic; rounding leaves a small imaginary
    part, which is dropped. One above :data:`IMAGINARY_TOLERANCE` means the covariances are too
    ill-conditioned for the number to be trusted (too few samples for the features' width, say):
    a ``RuntimeWarning`` says so. Distances are biased by sample size: compare only distances
    computed on sets of the same sizes."""
    from scipy import linalg

    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two 2-D feature sets of equal width, got {a.shape} and {b.shape}")
    if min(len(a), len(b)) < 2:
        raise ValueError("need at least two samples in each set")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(root).all():  # singular product: nudge both, as in the reference code
        eps = 1e-6 * np.eye(a.shape[1])
        root = linalg.sqrtm((s_a + eps) @ (s_b + eps))
    if np.iscomplexobj(root):
        largest = float(np.abs(root.imag).max())
        if largest > IMAGINARY_TOLERANCE:
            warnings.warn(f"frechet_distance: the matrix square root has an imaginary part of "
                          f"{largest:.2g} (above {IMAGINARY_TOLERANCE:g}); the distance is "
                          "unreliable (too few samples for the features' width?)",
                          RuntimeWarning, stacklevel=2)
    root = np.real(root)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(root))
