"""Hamiltonian Monte Carlo on a Gaussian, in the style of the tutorials' hmc/.

    theanine run hmc.py [--dim 3] [--chains 8] [--burnin 200] [--samples 400]

Leapfrog steps are a ``theano.scan`` with dict ``outputs_info`` whose step
takes ``T.grad`` of the energy; a Metropolis test draws from MRG streams;
the step size adapts with ``TT.switch``/``TT.clip``, and the acceptance rate
is a moving average computed in ``theano.scalar.upcast``'s dtype. Prints the
target and empirical means and the final acceptance rate.
"""
from __future__ import print_function

import argparse

import numpy

import theano
import theano.tensor as TT
from theano.sandbox.rng_mrg import MRG_RandomStreams


def kinetic_energy(vel):
    return 0.5 * (vel ** 2).sum(axis=1)


def hamiltonian(pos, vel, energy_fn):
    return energy_fn(pos) + kinetic_energy(vel)


def metropolis_hastings_accept(energy_prev, energy_next, s_rng):
    ediff = energy_prev - energy_next
    return (TT.exp(ediff) - s_rng.uniform(size=energy_prev.shape)) >= 0


def simulate_dynamics(initial_pos, initial_vel, stepsize, n_steps, energy_fn):
    def leapfrog(pos, vel, step):
        dE_dpos = TT.grad(energy_fn(pos).sum(), pos)
        new_vel = vel - step * dE_dpos
        new_pos = pos + step * new_vel
        return [new_pos, new_vel], {}

    initial_energy = energy_fn(initial_pos)
    dE_dpos = TT.grad(initial_energy.sum(), initial_pos)
    vel_half_step = initial_vel - 0.5 * stepsize * dE_dpos
    pos_full_step = initial_pos + stepsize * vel_half_step

    (all_pos, all_vel), scan_updates = theano.scan(
        leapfrog,
        outputs_info=[dict(initial=pos_full_step), dict(initial=vel_half_step)],
        non_sequences=[stepsize],
        n_steps=n_steps - 1)
    assert not scan_updates
    final_pos = all_pos[-1]
    final_vel = all_vel[-1]
    energy = energy_fn(final_pos)
    final_vel = final_vel - 0.5 * stepsize * TT.grad(energy.sum(), final_pos)
    return final_pos, final_vel


def hmc_move(s_rng, positions, energy_fn, stepsize, n_steps):
    initial_vel = s_rng.normal(size=positions.shape)
    final_pos, final_vel = simulate_dynamics(positions, initial_vel, stepsize, n_steps,
                                             energy_fn)
    accept = metropolis_hastings_accept(
        energy_prev=hamiltonian(positions, initial_vel, energy_fn),
        energy_next=hamiltonian(final_pos, final_vel, energy_fn),
        s_rng=s_rng)
    return accept, final_pos


def hmc_updates(positions, stepsize, avg_acceptance_rate, final_pos, accept,
                target_acceptance_rate, stepsize_inc, stepsize_dec, stepsize_min,
                stepsize_max, avg_acceptance_slowness):
    accept_matrix = accept.dimshuffle(0, *(('x',) * (final_pos.ndim - 1)))
    new_positions = TT.switch(accept_matrix, final_pos, positions)
    _new_stepsize = TT.switch(avg_acceptance_rate > target_acceptance_rate,
                              stepsize * stepsize_inc, stepsize * stepsize_dec)
    new_stepsize = TT.clip(_new_stepsize, stepsize_min, stepsize_max)
    mean_dtype = theano.scalar.upcast(accept.dtype, avg_acceptance_rate.dtype)
    new_acceptance_rate = TT.add(
        avg_acceptance_slowness * avg_acceptance_rate,
        (1.0 - avg_acceptance_slowness) * accept.mean(dtype=mean_dtype))
    return [(positions, new_positions), (stepsize, new_stepsize),
            (avg_acceptance_rate, new_acceptance_rate)]


def build_sampler(positions, energy_fn, seed=12345, n_steps=10, target=0.9):
    stepsize = theano.shared(numpy.asarray(0.01, dtype=theano.config.floatX), 'hmc_stepsize')
    avg_acceptance_rate = theano.shared(numpy.asarray(target, dtype=theano.config.floatX),
                                        'avg_acceptance_rate')
    s_rng = MRG_RandomStreams(seed)
    accept, final_pos = hmc_move(s_rng, positions, energy_fn, stepsize, n_steps)
    updates = hmc_updates(positions, stepsize, avg_acceptance_rate, final_pos, accept,
                          target_acceptance_rate=target, stepsize_inc=1.02,
                          stepsize_dec=0.98, stepsize_min=0.001, stepsize_max=0.5,
                          avg_acceptance_slowness=0.9)
    simulate = theano.function([], [], updates=updates)
    return simulate, stepsize, avg_acceptance_rate


def main(dim, chains, burnin, samples):
    rng = numpy.random.RandomState(123)
    mu = numpy.array(rng.rand(dim) * 10, dtype=theano.config.floatX)
    cov = numpy.array(rng.rand(dim, dim), dtype=theano.config.floatX)
    cov = (cov + cov.T) / 2.
    cov[numpy.arange(dim), numpy.arange(dim)] = 1.0
    cov_inv = numpy.linalg.inv(cov).astype(theano.config.floatX)

    def gaussian_energy(x):
        return 0.5 * (theano.tensor.dot((x - mu), cov_inv) * (x - mu)).sum(axis=1)

    position = theano.shared(rng.randn(chains, dim).astype(theano.config.floatX))
    simulate, stepsize, acceptance = build_sampler(position, gaussian_energy)
    for _ in range(burnin):
        simulate()
    draws = []
    for _ in range(samples):
        simulate()
        draws.append(position.get_value())
    draws = numpy.concatenate(draws)
    print('target mean:', ' '.join('%.4f' % m for m in mu))
    print('empirical mean:', ' '.join('%.4f' % m for m in draws.mean(axis=0)))
    print('final stepsize %.4f acceptance rate %.4f'
          % (stepsize.get_value(), acceptance.get_value()))


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--dim', type=int, default=3)
    parser.add_argument('--chains', type=int, default=8)
    parser.add_argument('--burnin', type=int, default=200)
    parser.add_argument('--samples', type=int, default=400)
    args = parser.parse_args()
    main(args.dim, args.chains, args.burnin, args.samples)
