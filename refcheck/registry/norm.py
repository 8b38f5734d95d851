"""Rows for layer normalization, spatial batch normalization and group normalization."""
from ..cases import Property, generator
from . import _properties as props
from . import backward, forward
from .layers import batchnorm_params


@generator(N=(1, 8), D=(1, 10), custom=(0, 1), edges={
    "constant_row": {}, "one_feature": {"D": 1}, "one_sample": {"N": 1}})
def layernorm(c):
    x = c.cast(2 * c.raw(c.N, c.D) + c.raw(c.N, 1))
    if c.edge == "constant_row":
        x[0] = x[0, 0]
    ln_param = {"eps": float(c.rng.choice([1e-3, 0.1]))} if c.custom else {}
    return dict(x=x, gamma=c.randn(c.D), beta=c.randn(c.D), ln_param=ln_param), dict(dout=c.grad(c.N, c.D))


layernorm.declare(props.one("N"), props.one("D"),
                  Property("ln_param sets eps", "eps is the default", lambda v: v.custom == 1, vary=("custom",)))


@generator(N=(1, 3), C=(1, 4), H=(1, 4), W=(1, 4), test=(0, 1), custom=(0, 1), fresh=(0, 1), edges={
    "one_pixel": {"H": 1, "W": 1, "test": 0}, "one_sample": {"N": 1, "test": 0}, "constant_channel": {"test": 0},
    "test_mode": {"test": 1, "fresh": 0}})
def spatial_batchnorm(c):
    x = c.cast(2 * c.raw(c.N, c.C, c.H, c.W) + c.raw(1, c.C, 1, 1))
    if c.edge == "constant_channel":
        x[:, 0] = x[0, 0, 0, 0]
    return (dict(x=x, gamma=c.randn(c.C), beta=c.randn(c.C), bn_param=batchnorm_params(c, c.C)),
            dict(dout=c.grad(c.N, c.C, c.H, c.W)))


spatial_batchnorm.declare(
    Property("bn_param's mode is 'test'", "bn_param's mode is 'train'", lambda v: v.test == 1, vary=("test",)),
    props.one("N"), Property("H = W = 1", "H * W > 1", lambda v: v.H * v.W == 1, vary=("H", "W")))
spatial_batchnorm_train = spatial_batchnorm.variant(test=(0, 0))


@generator(N=(1, 3), G=(1, 3), Cg=(1, 3), H=(1, 4), W=(1, 4), custom=(0, 1), edges={
    "one_group": {"G": 1}, "channel_groups": {"Cg": 1}, "constant_group": {}, "one_pixel": {"H": 1, "W": 1}})
def groupnorm(c):
    """C = G * Cg channels in G groups of Cg."""
    C = c.G * c.Cg
    x = c.cast(2 * c.raw(c.N, C, c.H, c.W) + c.raw(1, C, 1, 1))
    if c.edge == "constant_group":
        x[:, :c.Cg] = x[0, 0, 0, 0]
    gn_param = {"eps": float(c.rng.choice([1e-3, 0.1]))} if c.custom else {}
    return (dict(x=x, gamma=c.randn(1, C, 1, 1), beta=c.randn(1, C, 1, 1), G=c.G, gn_param=gn_param),
            dict(dout=c.grad(c.N, C, c.H, c.W)))


groupnorm.declare(props.one("G", "there is one group (G = 1)"), props.one("Cg", "each group has one channel (Cg = 1)"),
                  props.one("N"))


ROWS = [
    forward("layernorm_forward(x, gamma, beta, ln_param) -> out, cache", layernorm, "layers:layernorm"),
    backward("layernorm_backward(dout, cache) -> dx, dgamma, dbeta", layernorm, "layers:layernorm",
             "layernorm_forward"),
    forward("spatial_batchnorm_forward(x, gamma, beta, bn_param) -> out, cache", spatial_batchnorm,
            "layers:batchnorm"),
    backward("spatial_batchnorm_backward(dout, cache) -> dx, dgamma, dbeta", spatial_batchnorm_train,
             "layers:batchnorm", "spatial_batchnorm_forward"),
    forward("spatial_groupnorm_forward(x, gamma, beta, G, gn_param) -> out, cache", groupnorm,
            "layers:groupnorm"),
    backward("spatial_groupnorm_backward(dout, cache) -> dx, dgamma, dbeta", groupnorm, "layers:groupnorm",
             "spatial_groupnorm_forward"),
]
