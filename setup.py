"""ner-word2vec-tfx: a TFX pipeline for NER with Word2Vec embeddings."""

from setuptools import find_packages, setup

setup(
    name='ner-word2vec-tfx',
    version='0.1.0',
    description='Production TFX pipeline: CoNLL in, gated Word2Vec BiLSTM '
    'NER tagger out',
    python_requires='>=3.9,<3.11',
    # benchmarks/ (experiments) stays out of the package and the image.
    packages=find_packages(include=['pipeline', 'components', 'models',
                                    'serving']),
    package_data={'pipeline': ['templates/*.html']},
    # Exact versions live in requirements/lock.txt (used as constraints).
    install_requires=[
        'tfx==1.16.0',
        'tensorflow>=2.16,<2.17',
        'tensorflow-transform==1.16.0',
        'apache-beam[gcp]>=2.50,<3',
        'gensim>=4.3,<4.4',  # 4.4 breaks on numpy 1.26 at run time
        'numpy>=1.22,<2',
        'dill',  # imported by tensorflow-transform, not declared by it
        'kfp==2.5.0',  # without it TFX has no KubeflowV2DagRunner
        'matplotlib>=3.8,<3.10',  # the run report's plots
    ],
    extras_require={'test': ['pytest', 'hypothesis']},
    entry_points={'console_scripts': ['ner-pipeline=pipeline.cli:main']},
)
