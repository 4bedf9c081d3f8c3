# Summarise DAXINSTR lines of a bench console log (kernel/wip/instr-offline-pages-phases.patch):
# per size and method, medians (min-max) of each offline_pages() phase; the
# first (warm-up) pair is dropped.  Usage: instr-phases-summary.py LOG
import re,sys,statistics as st
txt=open(sys.argv[1],errors='replace').read().split('DAXHP-BENCH-END')[0]
lines=[l for l in txt.splitlines() if 'DAXINSTR' in l]
runs=[];cur=None
for l in lines:
    m=re.search(r'offline_pages (\w+)\+(\w+) chunk (\d+): total (\d+) us prep (\d+) loop (\d+) \[scan (\d+) n(\d+) \| iso (\d+) mig (\d+) calls (\d+) folios (\d+) \| test (\d+) outer (\d+)\] fin1 (\d+) wmark (\d+) fin2 (\d+)',l)
    if m:
        g=[int(x,16) if i<2 else int(x) for i,x in enumerate(m.groups())]
        if cur is None: cur=dict(n=0,tot=0,prep=0,mig=0,iso=0,scan=0,fin=0,folios=0,calls=0,pages=0)
        cur['n']+=1;cur['pages']+=g[1];cur['tot']+=g[3];cur['prep']+=g[4];cur['scan']+=g[6];cur['iso']+=g[8];cur['mig']+=g[9]
        cur['calls']+=g[10];cur['folios']+=g[11];cur['fin']+=g[14]+g[15]+g[16];cur['test']=cur.get('test',0)+g[12]
        continue
    m=re.search(r'remove_memory \w+\+(\w+) (\d+) us',l)
    if m and cur: cur['rm']=int(m.group(2));cur['kind']='per-block';runs.append(cur);cur=None;continue
    m=re.search(r'ranges remove (\d+) us',l)
    if m and cur: cur['rm']=int(m.group(1));cur['kind']='attribute';runs.append(cur);cur=None
sizes={}
for r in runs: sizes.setdefault(r['pages']*4096>>20,[]).append(r)
for sz,rs in sizes.items():
    rs=rs[2:]  # drop the warm-up pair
    print(f"== {sz} MiB: {len(rs)} unplugs (warm-up pair dropped)")
    print("method     n  offline_pages total  | migrate_pages | isolate walk | scan | prep | test | finish | remove  (ms, median (min-max))")
    for k in ('attribute','per-block'):
        x=[r for r in rs if r['kind']==k]
        def f(key):
            v=[r[key]/1000 for r in x]; return f"{st.median(v):.1f} ({min(v):.0f}-{max(v):.0f})"
        print(f"{k:10} {len(x):2} {f('tot')} | {f('mig')} | {f('iso')} | {f('scan')} | {f('prep')} | {f('test')} | {f('fin')} | {f('rm')}  folios {x[0]['folios']} calls {x[0]['calls']} blocks {x[0]['n']}")
    nm={k:[(r['tot']-r['mig']+r['rm'])/1000 for r in rs if r['kind']==k] for k in ('attribute','per-block')}
    print("non-migration kernel time (offline_pages minus migrate_pages, + remove): attribute %.1f, per-block %.1f ms (medians)"%(st.median(nm['attribute']),st.median(nm['per-block'])))
    # pairs in order
    pr=[];i=0
    while i+1<len(rs):
        a=rs[i] if rs[i]['kind']=='attribute' else rs[i+1]; b=rs[i+1] if a is rs[i] else rs[i]
        pr.append(a['mig']/b['mig']); i+=2
    print("per-pair migrate_pages ratio attribute/per-block: median %.2f, min %.2f max %.2f"%(st.median(pr),min(pr),max(pr)))
