#!/usr/bin/env python3
"""Split a battery set's hold-out MASE by selection group and chosen model.

Usage: battery_groups.py NAME H M OUT_DIR   (OUT_DIR of benches/battery.py; run with the peers' venv)
"""
import sys, pandas as pd, numpy as np
import os
sys.path.insert(0, os.environ.get('PEERS', os.path.expanduser('~/peers')))
from peer_forecast import load, mase_scale, split
name,h,m=sys.argv[1],int(sys.argv[2]),int(sys.argv[3]); d=sys.argv[4]
df,kind=load(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'datasets', f'{name}.csv'))
train,test=split(df,h)
sc={u:mase_scale(g.y.to_numpy(),m)[0] for u,g in train.groupby('unique_id')}
f=pd.read_csv(f'{d}/{name}_replenish.csv',dtype={'unique_id':str}); f['ds']=pd.to_datetime(f['ds'])
mo=pd.read_csv(f'{d}/{name}_replenish_models.csv',dtype={'unique_id':str}).set_index('unique_id')
ev=test.merge(f,on=['unique_id','ds'])
cols=[c for c in f.columns if c not in('unique_id','ds')]
per=ev.groupby('unique_id').apply(lambda g: pd.Series({c:np.mean(np.abs(g[c]-g.y)) for c in cols}))
per=per.div(pd.Series(sc),axis=0).replace([np.inf],np.nan)
per['group']=mo.group; per['model']=mo.model
n=per.replenish.notna().sum()
print('share of total MASE sum per group (sum/n_all):')
print((per.groupby('group')[cols].sum()/n).round(3).T.to_string())
print(per.groupby('group').size())
print(per.groupby(['group','model']).replenish.agg(['size','mean']).round(2).sort_values('size',ascending=False).head(15))
